// Incidents: #/incidents (the queue) and #/incidents/{id}[?link=TOKEN] (one incident,
// opened from a notification's signed link on a phone).
import "./incidents.css";

import type { PageProps } from "../app";
import { IncidentPage } from "../components/incidents/detail";
import { IncidentList } from "../components/incidents/list";

export function IncidentsPage({ route }: PageProps) {
  const sub = route.path[1];
  if (sub && /^\d+$/.test(sub)) {
    return <IncidentPage key={sub} id={Number(sub)} token={route.params.get("link")} />;
  }
  return <IncidentList route={route} />;
}
