import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

import { PasswordDialog } from "./components/password-dialog";
import { ACCESS_PATH } from "./lib/access";
import { SESSION_LOST } from "./lib/api";
import { lang, messages, setLang } from "./lib/i18n";
import { navigate, type Route, route } from "./lib/router";
import { can, loadSession, session, signOut } from "./lib/session";
import { AdminPage } from "./pages/admin";
import { CameraPage } from "./pages/camera";
import { IncidentsPage } from "./pages/incidents";
import { MapPage } from "./pages/map";
import { PatrolPage } from "./pages/patrol";
import { RequisitionsPage } from "./pages/requisitions";
import { SignIn } from "./pages/signin";
import { WallPage } from "./pages/wall";

const t = messages({
  fr: {
    wall: "Mur d'images",
    map: "Carte",
    incidents: "Incidents",
    requisitions: "Réquisitions",
    admin: "Administration",
    patrol: "Patrouille",
    signout: "Se déconnecter",
    password: "Changer mon mot de passe",
    loading: "Chargement…",
    not_found: "Cette page n'existe pas ou vous n'y avez pas accès.",
    language: "English",
  },
  en: {
    wall: "Video wall",
    map: "Map",
    incidents: "Incidents",
    requisitions: "Requisitions",
    admin: "Administration",
    patrol: "Patrol",
    signout: "Sign out",
    password: "Change my password",
    loading: "Loading…",
    not_found: "This page does not exist or you may not open it.",
    language: "Français",
  },
});

export interface PageProps {
  route: Route;
}

interface Section {
  /** First element of the hash path: #/wall, #/camera/jlt-001… */
  path: string;
  label: Parameters<typeof t>[0] | null;
  /** Any one of these permissions opens the section. */
  permissions: string[];
  page: ComponentType<PageProps>;
}

// One table for navigation and access: a section the role may not open is neither
// listed nor rendered (the API refuses it anyway).
const SECTIONS: Section[] = [
  { path: "wall", label: "wall", permissions: ["camera.view_live"], page: WallPage },
  { path: "map", label: "map", permissions: ["camera.list"], page: MapPage },
  { path: "camera", label: null, permissions: ["camera.view_live", "recording.read"], page: CameraPage },
  { path: "incidents", label: "incidents", permissions: ["incident.read"], page: IncidentsPage },
  { path: "requisitions", label: "requisitions", permissions: ["requisition.read"], page: RequisitionsPage },
  {
    path: "admin",
    label: "admin",
    permissions: ["user.admin", "user.unlock", "user.access", "site.admin", "storage.read", "journal.read", "hold.manage"],
    page: AdminPage,
  },
  { path: "patrol", label: "patrol", permissions: ["camera.view_live"], page: PatrolPage },
];

function allowed(section: Section): boolean {
  return section.permissions.some(can);
}

/** Where a role lands after sign-in. */
export function homePath(role: string): string {
  if (role === "patrol") return "patrol";
  if (role === "auditor") return "admin";
  if (role === "admin") return "admin";
  if (role === "investigator") return "requisitions";
  return "wall";
}

function Nav() {
  const current = route.value.path[0];
  const role = session.value?.role;
  const [changing, setChanging] = useState(false);
  return (
    <>
      <header class="topbar">
        <a class="brand" href="#/">
          Beffroi
        </a>
        <nav>
          {SECTIONS.filter((s) => s.label && allowed(s))
            .filter((s) => s.path !== "patrol" || role === "patrol")
            .filter((s) => role !== "patrol" || s.path === "patrol" || s.path === "map")
            .map((s) => (
              <a key={s.path} href={`#/${s.path}`} class={current === s.path ? "active" : ""}>
                {t(s.label!)}
              </a>
            ))}
        </nav>
        <span class="who" data-testid="who">
          {session.value?.username} · {session.value?.role}
        </span>
        <button type="button" class="link" onClick={() => setLang(lang.value === "fr" ? "en" : "fr")}>
          {t("language")}
        </button>
        <button type="button" class="link" onClick={() => setChanging(true)}>
          {t("password")}
        </button>
        <button type="button" class="link" onClick={() => void signOut()}>
          {t("signout")}
        </button>
      </header>
      {changing && <PasswordDialog username={session.value?.username ?? ""} onClose={() => setChanging(false)} />}
    </>
  );
}

export function App() {
  const [warnings, setWarnings] = useState<string[]>([]);

  useEffect(() => {
    void loadSession();
    const lost = () => void loadSession();
    window.addEventListener(SESSION_LOST, lost);
    return () => window.removeEventListener(SESSION_LOST, lost);
  }, []);

  const current = session.value;
  if (current === undefined) return <p class="loading">{t("loading")}</p>;
  if (current === null) return <SignIn onWarnings={setWarnings} />;

  const r = route.value;
  // An access-code link opened while signed in, or just used: the home screen.
  if (r.path.length === 0 || r.path[0] === ACCESS_PATH) {
    navigate(homePath(current.role));
    return null;
  }
  const section = SECTIONS.find((s) => s.path === r.path[0]);
  const Page = section && allowed(section) ? section.page : null;
  return (
    <div class={`shell role-${current.role}`}>
      <Nav />
      {warnings.length > 0 && (
        <div class="banner warning" role="status">
          {warnings.map((w) => (
            <p key={w}>{w}</p>
          ))}
          <button type="button" class="link" onClick={() => setWarnings([])}>
            ×
          </button>
        </div>
      )}
      <main class="content">{Page ? <Page route={r} /> : <p class="empty">{t("not_found")}</p>}</main>
    </div>
  );
}
