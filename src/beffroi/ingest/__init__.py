"""Cameras in: one RTSP session per camera in sharded worker processes, whole
pictures placed at the instant they were filmed, handed to the archive's writer; each
camera's status and reason for the administrator."""
