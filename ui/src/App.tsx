import { lazy, Suspense, useCallback, useState } from "react";
import type { ProjectView } from "./bindings";
import { ProjectsScreen } from "./screens/Projects";
import { InventoryScreen } from "./screens/Inventory";
import { RisksScreen } from "./screens/Risks";
import { MappingScreen } from "./screens/Mapping";
import { RunbookScreen } from "./screens/Runbook";
import { RehearsalScreen } from "./screens/Rehearsal";
import { LifecycleScreen } from "./screens/Lifecycle";
import { EmptyState, Loading } from "./components/Feedback";

// The graph view (React Flow, its styles and ELK) is most of the bundle: loaded when first
// opened, so a window showing the inventory does not hold it in memory.
const GraphScreen = lazy(() => import("./screens/Graph").then((m) => ({ default: m.GraphScreen })));

const screens = [
  { id: "projects", label: "Projects" },
  { id: "inventory", label: "Inventory" },
  { id: "graph", label: "Dependency graph" },
  { id: "risks", label: "Risk register" },
  { id: "mapping", label: "Mapping" },
  { id: "runbook", label: "Runbook" },
  { id: "rehearsal", label: "Rehearsal" },
  { id: "lifecycle", label: "Job lifecycle" },
] as const;

export type ScreenId = (typeof screens)[number]["id"];

export function App() {
  const [screen, setScreen] = useState<ScreenId>("projects");
  const [project, setProject] = useState<ProjectView | null>(null);
  // Bumped when the project is re-imported, so screens reload.
  const [revision, setRevision] = useState(0);

  const opened = useCallback((p: ProjectView) => {
    setProject(p);
    setRevision((r) => r + 1);
    setScreen("inventory");
  }, []);
  const reimported = useCallback((p: ProjectView) => {
    setProject(p);
    setRevision((r) => r + 1);
  }, []);

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Screens">
        <div className="brand">Migration Studio</div>
        {project && (
          <div className="current" data-testid="current-project" data-handle={project.handle} title={project.root}>
            {project.name}
          </div>
        )}
        {screens.map((s) => (
          <button
            key={s.id}
            type="button"
            data-testid={`nav-${s.id}`}
            className={screen === s.id ? "nav active" : "nav"}
            onClick={() => setScreen(s.id)}
          >
            {s.label}
          </button>
        ))}
      </nav>
      <main className="main" data-testid={`screen-${screen}`}>
        {screen === "projects" && <ProjectsScreen project={project} onOpened={opened} onReimported={reimported} />}
        {screen !== "projects" && !project && (
          <EmptyState title="No project open" testId="no-project">
            Open a project folder (one with <code>migration-studio.toml</code>) or create one on the{" "}
            <button type="button" className="link" onClick={() => setScreen("projects")}>
              Projects
            </button>{" "}
            screen. The samples in <code>sample-projects/</code> are ready to open.
          </EmptyState>
        )}
        {project && screen === "inventory" && <InventoryScreen key={revision} project={project} onImported={setProject} />}
        {project && screen === "graph" && (
          <Suspense fallback={<Loading what="graph view" />}>
            <GraphScreen key={revision} project={project} />
          </Suspense>
        )}
        {project && screen === "risks" && <RisksScreen key={revision} project={project} />}
        {project && screen === "mapping" && <MappingScreen project={project} />}
        {project && screen === "runbook" && <RunbookScreen key={revision} project={project} onOpenRehearsal={() => setScreen("rehearsal")} />}
        {project && screen === "lifecycle" && <LifecycleScreen key={revision} project={project} />}
        {project && screen === "rehearsal" && <RehearsalScreen key={revision} project={project} onOpenRunbook={() => setScreen("runbook")} />}
      </main>
    </div>
  );
}
