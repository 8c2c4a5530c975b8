import type { ProjectView } from "../bindings";
import { EmptyState } from "../components/Feedback";

export function MappingScreen({ project }: { project: ProjectView }) {
  return (
    <div className="screen">
      <h1>Mapping</h1>
      <EmptyState title="The mapping stage is not built yet" testId="mapping-placeholder">
        <p>
          The field-level mapping editor (renames, casts, derivations, review findings beside their rules) arrives with the mapping engine. Until then
          {" "}
          {project.source_engine} → {project.target_engine} uses the default mapping: same table and column names, each type mapped by meaning (as
          pgloader does), which rehearsals and backfills already apply.
        </p>
      </EmptyState>
    </div>
  );
}
