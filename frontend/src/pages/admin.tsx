// Administration: #/admin/<tab>, each tab shown only to the roles whose permission opens
// it (the API refuses the rest anyway). The administrator manages users and sees the
// cameras and the health page but no image; the auditor reads the journal and the
// registers; a supervisor unlocks its agents, manages holds and watches health. Access
// requests (invitations, resets) are approved by a second person: a supervisor of the
// agent's communes or another administrator.
import "./admin.css";

import type { ComponentType } from "preact";

import type { PageProps } from "../app";
import { AccessRequestsTab } from "../components/admin/access-requests";
import { CamerasTab } from "../components/admin/cameras";
import { DestructionsTab } from "../components/admin/destructions";
import { HealthTab } from "../components/admin/health";
import { HoldsTab } from "../components/admin/holds";
import { JournalTab } from "../components/admin/journal";
import { UsersTab } from "../components/admin/users";
import { messages } from "../lib/i18n";
import { href } from "../lib/router";
import { can, session } from "../lib/session";

const t = messages({
  fr: {
    title: "Administration",
    users: "Utilisateurs",
    access: "Demandes d'accès",
    cameras: "Caméras",
    health: "Santé",
    holds: "Conservation et scellés",
    destructions: "Registre des destructions",
    journal: "Journal",
  },
  en: {
    title: "Administration",
    users: "Users",
    access: "Access requests",
    cameras: "Cameras",
    health: "Health",
    holds: "Retention and holds",
    destructions: "Destruction register",
    journal: "Journal",
  },
});

interface Tab {
  key: "users" | "access" | "cameras" | "health" | "holds" | "destructions" | "journal";
  /** Any one of these opens the tab. */
  permissions: string[];
  page: ComponentType;
}

const TABS: Tab[] = [
  { key: "users", permissions: ["user.admin", "user.unlock"], page: UsersTab },
  { key: "access", permissions: ["user.access"], page: AccessRequestsTab },
  { key: "cameras", permissions: ["camera.list"], page: CamerasTab },
  { key: "health", permissions: ["storage.read"], page: HealthTab },
  { key: "holds", permissions: ["hold.manage"], page: HoldsTab },
  { key: "destructions", permissions: ["journal.read"], page: DestructionsTab },
  { key: "journal", permissions: ["journal.read"], page: JournalTab },
];

/** Where each role starts: its main job here. */
const HOME: Record<string, Tab["key"]> = { auditor: "journal", supervisor: "health", admin: "users" };

export function AdminPage({ route }: PageProps) {
  const tabs = TABS.filter((tab) => tab.permissions.some(can));
  const wanted = route.path[1] ?? HOME[session.value?.role ?? ""];
  const current = tabs.find((tab) => tab.key === wanted) ?? tabs[0];
  if (!current) return null;
  const Page = current.page;
  return (
    <div class="admin">
      <nav class="admin-tabs" aria-label={t("title")}>
        {tabs.map((tab) => (
          <a
            key={tab.key}
            href={href(`admin/${tab.key}`)}
            class={tab === current ? "active" : ""}
            aria-current={tab === current ? "page" : undefined}
            data-testid={`admin-tab-${tab.key}`}
          >
            {t(tab.key)}
          </a>
        ))}
      </nav>
      <section class="admin-body">
        <Page key={current.key} />
      </section>
    </div>
  );
}
