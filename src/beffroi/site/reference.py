"""The site file's reference documentation, generated from the models' descriptions.

`python -m beffroi.site.reference > docs/ref/site-file.md`; a test keeps the committed
page equal to what the models say, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import sys
from datetime import date
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from beffroi.site.alarm_models import ClipWindowSettings
from beffroi.site.models import (
    AlarmMqttSettings,
    AlarmSettings,
    AlarmWebhookIntegration,
    AlarmWebhookSettings,
    Authorisation,
    Building,
    Camera,
    Commune,
    Convention,
    ExportSettings,
    FieldOfView,
    HeartbeatSettings,
    JournalPublishSettings,
    JournalSettings,
    Location,
    MapSettings,
    MqttAlarmTopic,
    MqttSettings,
    NotificationSettings,
    NtfySettings,
    RecordingSettings,
    SiaDc09Settings,
    Site,
    SmtpSettings,
    TileServer,
    WebhookSettings,
    Zone,
)

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Top level", Site),
    ("`communes[]`", Commune),
    ("`cameras[]`", Camera),
    ("`cameras[].location`", Location),
    ("`cameras[].field_of_view`", FieldOfView),
    ("`cameras[].authorisation`", Authorisation),
    ("`conventions[]`", Convention),
    ("`recording`", RecordingSettings),
    ("`buildings[]`", Building),
    ("`buildings[].zones[]`", Zone),
    ("`alarms.clip`, `buildings[].clip`", ClipWindowSettings),
    ("`alarms`", AlarmSettings),
    ("`alarms.sia_dc09`", SiaDc09Settings),
    ("`alarms.webhook`", AlarmWebhookSettings),
    ("`alarms.webhook.integrations[]`", AlarmWebhookIntegration),
    ("`alarms.mqtt`", AlarmMqttSettings),
    ("`alarms.mqtt.topics[]`", MqttAlarmTopic),
    ("`notifications`", NotificationSettings),
    ("`notifications.smtp`", SmtpSettings),
    ("`notifications.webhook`", WebhookSettings),
    ("`notifications.ntfy`", NtfySettings),
    ("`notifications.mqtt`", MqttSettings),
    ("`notifications.heartbeat`", HeartbeatSettings),
    ("`exports`", ExportSettings),
    ("`journal`", JournalSettings),
    ("`journal.publish`", JournalPublishSettings),
    ("`map`", MapSettings),
    ("`map.tiles`", TileServer),
]


_NAMES = {str: "text", int: "integer", float: "number", bool: "true/false", date: "date"}


def _type(annotation: Any) -> str:
    """Words for a type: `text`, `list of Camera`, `one of close-up, general`."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type(args[0])
    if origin in (Union, UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default is PydanticUndefined or field.default is None:
        return ""
    if isinstance(field.default, BaseModel | list):
        return ""
    return f"`{field.default}`"


def render() -> str:
    out = [
        "# Site file reference",
        "",
        "Generated from `src/beffroi/site/models.py` by `python -m beffroi.site.reference`;",
        "do not edit by hand. Unknown keys are refused; every problem is reported with its",
        "file, line and field by `beffroi site check FILE`.",
        "",
    ]
    for title, model in SECTIONS:
        out += [f"## {title}", "", "| key | type | default | description |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            key = field.alias or name
            desc = (field.description or "").replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{key}` | {_type(field.annotation)} | {_default(field)} | {desc} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
