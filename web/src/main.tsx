import { render } from "preact";
import { App } from "./components/App";
import { store } from "./store";
import "./styles.css";

// links in messages open beside the page, as in Mattermost, instead of leaving it
document.addEventListener("click", (event) => {
  const link = (event.target as Element | null)?.closest?.(".markdown a[href]");
  if (!(link instanceof HTMLAnchorElement)) return;
  event.preventDefault();
  window.open(link.href, "_blank", "noopener,noreferrer");
});

render(<App />, document.getElementById("app")!);
void store.start();
