// Requisitions: #/requisitions (the register), #/requisitions/new, #/requisitions/exports
// (the export register), #/requisitions/{id}.
import "./requisitions.css";

import type { PageProps } from "../app";
import { RequisitionDetail } from "../components/requisitions/detail";
import { ExportRegister } from "../components/requisitions/export-register";
import { NewRequisition } from "../components/requisitions/new-form";
import { Register } from "../components/requisitions/register";
import { can } from "../lib/session";

export function RequisitionsPage({ route }: PageProps) {
  const sub = route.path[1];
  if (sub === "new" && can("requisition.manage")) return <NewRequisition route={route} />;
  if (sub === "exports") return <ExportRegister />;
  if (sub && /^\d+$/.test(sub)) return <RequisitionDetail key={sub} id={Number(sub)} />;
  return <Register route={route} />;
}
