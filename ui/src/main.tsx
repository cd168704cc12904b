// The cascade's order: review's and insights' sheets have always come before the shared ones
// (whose equal-specificity rules win over theirs, e.g. `.select` over `.select-small`); every
// other feature's sheet, imported by the feature, comes after the shared ones.
import "./features/review/review.css";
import "./features/insights/insights.css";
import "./styles/tokens.css";
import "./components/components.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { hasTauri, setTransport } from "./api/client";
import { App } from "./app/App";
import { NotifyProvider } from "./app/notify";
import { StartupGate } from "./app/Startup";

async function start() {
  // In a plain browser there is no back end. The dev server (or `?demo`) swaps in an in-memory
  // one so the UI can be worked on; it is a separate chunk that the app never loads otherwise.
  if (!hasTauri() && (import.meta.env.DEV || new URLSearchParams(window.location.search).has("demo"))) {
    const { createDemoTransport } = await import("./api/demo");
    setTransport(createDemoTransport(new URLSearchParams(window.location.search)));
  }
  const root = document.getElementById("root");
  if (!root) return;
  createRoot(root).render(
    <StrictMode>
      <StartupGate>
        <NotifyProvider>
          <App />
        </NotifyProvider>
      </StartupGate>
    </StrictMode>,
  );
}

void start();
