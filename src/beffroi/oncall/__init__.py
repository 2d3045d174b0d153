"""On-call: who is reached when the centre is unstaffed, by which channel, and what
happens when nobody answers.

Downstream of `beffroi.incidents` (it reads the incident queue and moves incidents to
`notified`); incidents never import it. `beffroi.server` starts `runtime.OnCallRuntime`.
See docs/design/oncall.md.
"""
