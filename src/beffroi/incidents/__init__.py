"""Incidents: what a person must look at. An alarm opens one (or joins the open one of
its building), and it goes new -> notified -> acknowledged -> closed with a disposition,
each step timestamped with its author.

Downstream of `beffroi.alarms`: `IncidentService.alarm_received` is the hook a receiver
calls. Notifications, on-call rotas, escalation, clips and snapshots plug in here later.
"""
