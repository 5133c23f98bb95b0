"""WebRTC media: WHIP ingest for the host, WHEP playback for viewers, forwarding without re-encoding."""
