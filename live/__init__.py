"""Live shopping server: shows, realtime product cards, WebRTC video and one-tap orders."""

__version__ = "0.1.0"
