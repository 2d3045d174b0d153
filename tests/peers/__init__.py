"""Third-party RTSP cameras for tests: GStreamer's gst-rtsp-server and VLC.

    from tests.peers.gst_camera import gst_camera   # with gst_camera(codec="h265") as url
    from tests.peers.vlc_camera import vlc_camera   # with vlc_camera(tmp_path) as url
    from tests.peers.packets import capture         # what FFmpeg gets, as the recorder

(Not re-exported here: a function named like its module would hide the module.)
"""
