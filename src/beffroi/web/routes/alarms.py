"""`POST /api/alarms`: an alarm from an integration (the HTTP webhook receiver).

The handler reads the raw body itself: the signature covers the bytes as sent, which a
parsed-and-reserialised body would not reproduce. The checks and the storing run in
the thread pool (`beffroi.alarms.webhook`); the receiver is the one `beffroi run`
started from the site file (`app.state.alarm_inputs`), absent: 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.alarms.webhook import (
    MAX_BODY,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    AlarmIn,
    WebhookReceiver,
    WebhookRefusedError,
)
from beffroi.journal.http import client_address
from beffroi.web.deps import require

router = APIRouter(prefix="/api/alarms", tags=["alarms"])

Submitter = Annotated[Principal, Depends(require(Permission.ALARM_SUBMIT))]
TOKEN_PREFIX = "token:"


class AlarmAccepted(BaseModel):
    message: int = Field(description="Number of the message in the alarm log")
    incident: int | None = Field(
        description="The incident the alarm opened or joined; null for an event that needs "
        "no one (a restore, a test)"
    )


def webhook_receiver(request: Request) -> WebhookReceiver | None:
    inputs = getattr(request.app.state, "alarm_inputs", None)
    return getattr(inputs, "webhook", None)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AlarmAccepted,
    summary="Submit an alarm (integrations: API token + HMAC signature)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AlarmIn.model_json_schema()}},
        }
    },
    responses={
        401: {"description": "No integration for this token, bad signature, stale timestamp"},
        404: {"description": "The webhook receiver is not enabled in the site file"},
        409: {"description": "This alarm id was already received (a replay)"},
        422: {"description": "Malformed body or header, unknown building or event"},
    },
)
async def alarm_submit(
    request: Request,
    principal: Submitter,
    timestamp: Annotated[
        str,
        Header(
            alias=TIMESTAMP_HEADER,
            max_length=20,
            description="Unix time in seconds when the request was signed",
        ),
    ],
    signature: Annotated[
        str,
        Header(
            alias=SIGNATURE_HEADER,
            max_length=200,
            description="sha256=<hex HMAC-SHA256 of '<timestamp>.<raw body>'>",
        ),
    ],
) -> AlarmAccepted:
    receiver = webhook_receiver(request)
    if receiver is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="the webhook receiver is not enabled")
    body = await request.body()
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY + 1]  # logged truncated, refused as too large
    token = None
    if principal.auth == "api_token" and principal.username.startswith(TOKEN_PREFIX):
        token = principal.username.removeprefix(TOKEN_PREFIX)
    try:
        accepted = await run_in_threadpool(
            receiver.receive,
            token,
            principal.communes,
            timestamp,
            signature,
            body,
            client_address(request),
        )
    except WebhookRefusedError as exc:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        raise HTTPException(exc.status, detail=str(exc), headers=headers) from None
    return AlarmAccepted(message=accepted.message_id, incident=accepted.incident_id)
