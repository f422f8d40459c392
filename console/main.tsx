/**
 * The web console's entry: draws the app into `#app` of the page the proxy
 * serves at `/` (the page loads this file as a module; no inline script).
 *
 * @module
 */

import { render } from "preact";
import { App } from "./app.tsx";
import "./styles.css";

render(<App />, document.getElementById("app")!);
