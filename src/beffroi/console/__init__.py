"""The operator console's own data: wall layouts saved per user and shared.

The console itself is static files (`frontend/`, served by `web/routes/console.py`); it
uses the same documented API as any integration. This package holds what the console
alone needs stored: the layouts of the video wall (`tables.py`, `layouts.py`), exposed
by `web/routes/layouts.py`.
"""
