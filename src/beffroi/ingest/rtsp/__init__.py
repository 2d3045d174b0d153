"""Our own RTSP/RTP reader (issue 14): the session, RTP, and what the codec's parameter sets say."""
