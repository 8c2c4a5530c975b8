"""Parses Argo Workflows manifests exported by migration-studio with the Argo Workflows Python SDK
(hera) and checks them against the runbooks they came from.

Usage: python check_argo.py CASES.json, with the cases of check_airflow.py. Each manifest is read
by `hera.workflows.Workflow.from_yaml` and validated by hera's `Workflow` model of the Argo API
(io.argoproj.workflow.v1alpha1), which must keep every field (an unknown or misspelled field
would be dropped: the test compares the model's dump with the YAML). Exits 1 when any case
differs.
"""

import json
import subprocess
import sys

import yaml
from hera.workflows import Workflow
from hera.workflows.models import Workflow as WorkflowModel


def check(case):
    with open(case["file"], encoding="utf-8") as f:
        text = f.read()
    raw = yaml.safe_load(text)  # a YAML 1.1 reader, as Kubernetes' is
    problems = []
    model = WorkflowModel.model_validate(raw)
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if dumped != raw:
        problems.append("the Argo model drops or changes fields: " + json.dumps(
            {k: (raw.get(k), dumped.get(k)) for k in raw if raw.get(k) != dumped.get(k)})[:500])
    workflow = Workflow.from_yaml(text).build()
    spec = workflow.spec
    templates = {t.name: t for t in spec.templates}
    entry = templates.get(spec.entrypoint)
    if entry is None or entry.dag is None:
        return problems + [f"entrypoint {spec.entrypoint} is not a DAG template"]
    tasks = {t.name: sorted(t.dependencies or []) for t in entry.dag.tasks}
    expected = {s["id"]: sorted(s["depends_on"]) for s in case["steps"]}
    if tasks != expected:
        problems.append("DAG tasks differ from the steps: missing %s, extra %s, other deps %s" % (
            sorted(set(expected) - set(tasks)),
            sorted(set(tasks) - set(expected)),
            sorted(k for k in expected if k in tasks and tasks[k] != expected[k]),
        ))
    for task in entry.dag.tasks:
        if task.template not in templates:
            problems.append(f"task {task.name} names no template ({task.template})")
    for key, value in (workflow.metadata.annotations or {}).items():
        if not isinstance(value, str):
            problems.append(f"annotation {key} is {value!r}, not text")
    ponr = case["ponr"]
    for step in case["steps"]:
        template = templates[f"{step['id'].lower()}"]
        suspended = template.suspend is not None
        if suspended != step["approval"]:
            problems.append(f"{step['id']}: suspend is {suspended}, approval is {step['approval']}")
        if step["id"] == ponr and not suspended:
            problems.append(f"the PONR {ponr} is not a suspend")
        if step["placeholder"]:
            # The container's command with its args, run here: exit code 2 naming the step.
            c = template.container
            run = subprocess.run(c.command + c.args, capture_output=True, text=True, check=False)
            if run.returncode != 2 or f"manual-step: step {step['id']} " not in run.stderr:
                problems.append(f"placeholder {step['id']}: exit {run.returncode}, {run.stderr!r}")
    if case["undos"]:
        handler = templates.get(spec.on_exit or "")
        if handler is None or handler.dag is None:
            problems.append("no onExit rollback DAG")
        else:
            got = {t.name: sorted(t.dependencies or []) for t in handler.dag.tasks}
            want = {f"undo-{u['step']}": sorted(f"undo-{a}" for a in u["after"])
                    for u in case["undos"]}
            if got != want:
                problems.append("the onExit rollback order differs from the runbook's")
            for t in handler.dag.tasks:
                if "{{workflow.status}}" not in (t.when or ""):
                    problems.append(f"{t.name} runs whatever the workflow's status")
    elif spec.on_exit:
        problems.append("an onExit handler with nothing to undo")
    return problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    failed = 0
    for case in cases:
        problems = check(case)
        failed += bool(problems)
        if problems:
            print(f"FAIL argo {case['name']}: " + "; ".join(problems))
        else:
            print(f"ok argo {case['name']}: {len(case['steps'])} DAG tasks")
    print(f"argo: {len(cases)} exports checked, {failed} differ")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
