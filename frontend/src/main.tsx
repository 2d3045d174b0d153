import "leaflet/dist/leaflet.css";
import "./style.css";

import { render } from "preact";

import { App } from "./app";
import { lang } from "./lib/i18n";
import { adoptServerPath } from "./lib/links";
import { parseHash, route } from "./lib/router";

adoptServerPath();
route.value = parseHash(location.hash);

document.documentElement.lang = lang.value;
render(<App />, document.getElementById("app")!);
