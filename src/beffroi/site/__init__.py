"""The site model: communes, districts, cameras; the site file's validation and apply.

The site file (YAML) is the one place where an administrator declares the cameras.
`load_site` validates it and reports every problem at its line; `apply_site` brings
the database in line with it; `active_cameras` is what the recorder and the API read.
"""

from beffroi.site.apply import ApplyResult, apply_site
from beffroi.site.camera_rows import CameraRow, active_cameras, get_camera, list_cameras
from beffroi.site.credentials import camera_stream_credentials, split_stream_url
from beffroi.site.demo import demo_communes_geojson_path, demo_site_path
from beffroi.site.loader import LoadedSite, load_site, load_site_text
from beffroi.site.models import Camera, Commune, Convention, RecordingSettings, Site, legal_minima
from beffroi.site.problems import Problem, SiteError
from beffroi.site.units import parse_duration, parse_retention

__all__ = [
    "ApplyResult",
    "Camera",
    "CameraRow",
    "Commune",
    "Convention",
    "LoadedSite",
    "Problem",
    "RecordingSettings",
    "Site",
    "SiteError",
    "active_cameras",
    "apply_site",
    "camera_stream_credentials",
    "demo_communes_geojson_path",
    "demo_site_path",
    "get_camera",
    "legal_minima",
    "list_cameras",
    "load_site",
    "load_site_text",
    "parse_duration",
    "parse_retention",
    "split_stream_url",
]
