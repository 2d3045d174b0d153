"""Alarms in: receivers (SIA DC-09 today; MQTT and webhook to come) and the log of
every message they got.

Upstream of `beffroi.incidents`: a receiver hands each accepted alarm to an `AlarmHook`
that the composition root (`beffroi.server`) wires to the incidents service; this
package never imports `incidents`. Buildings, zones and their cameras are declared in
the site file (`beffroi.site`).
"""
