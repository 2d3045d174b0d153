import "leaflet/dist/leaflet.css";
import "./style.css";

import { render } from "preact";

import { App } from "./app";
import { lang } from "./lib/i18n";

document.documentElement.lang = lang.value;
render(<App />, document.getElementById("app")!);
