"""Loads Airflow DAG files exported by migration-studio with Airflow's own DagBag and checks them
against the runbooks they came from.

Usage: python check_airflow.py CASES.json. CASES.json is a list of cases
{"name", "file", "ponr", "steps": [{"id", "depends_on", "placeholder", "approval"}],
"rollback_trigger": [the steps up to the PONR, which trigger the rollback when one fails],
"undos": [{"step", "after"}]}. Prints one line per case; exits 1 when any case differs.
"""

import json
import os
import subprocess
import sys
import tempfile

from airflow.sdk.exceptions import AirflowFailException

from airflow.dag_processing.dagbag import DagBag

TRIGGER = "rollback_on_failure"


def upstream_sets(dag):
    return {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}


def check(case):
    bag = DagBag(dag_folder=case["file"])
    if bag.import_errors:
        return [f"import errors: {bag.import_errors}"]
    by_suffix = {suffix: [d for d in bag.dags.values() if d.dag_id.endswith(suffix)]
                 for suffix in ("-cutover", "-rollback")}
    if len(by_suffix["-cutover"]) != 1:
        return [f"expected one cutover DAG, found {sorted(bag.dags)}"]
    problems = []
    tasks = upstream_sets(by_suffix["-cutover"][0])
    trigger = tasks.pop(TRIGGER, None)
    expected = {s["id"]: sorted(s["depends_on"]) for s in case["steps"]}
    if tasks != expected:
        problems.append(
            "tasks differ from the steps: missing %s, extra %s, other upstream %s" % (
                sorted(set(expected) - set(tasks)),
                sorted(set(tasks) - set(expected)),
                sorted(k for k in expected if k in tasks and tasks[k] != expected[k]),
            )
        )
    rollback = by_suffix["-rollback"]
    if case["undos"]:
        if trigger != sorted(case["rollback_trigger"]):
            problems.append(f"{TRIGGER} waits for {trigger}, not the steps up to the PONR")
        if len(rollback) != 1:
            problems.append(f"expected one rollback DAG, found {sorted(bag.dags)}")
        else:
            # An undo runs after the undos of the steps that depend on its step.
            want = {f"undo_{u['step']}": sorted(f"undo_{a}" for a in u["after"])
                    for u in case["undos"]}
            if upstream_sets(rollback[0]) != want:
                problems.append("the rollback DAG's order differs from the runbook's")
    elif trigger is not None or rollback:
        problems.append("a rollback with nothing to undo")
    # The file's own data: a placeholder fails loudly, exit code 2 naming the step.
    namespace = {}
    with open(case["file"], encoding="utf-8") as f:
        exec(compile(f.read(), case["file"], "exec"), namespace)
    for step in case["steps"]:
        argv = namespace["STEP_BY_ID"][step["id"]]["argv"]
        if step["placeholder"]:
            run = subprocess.run(argv, capture_output=True, text=True, check=False)
            if run.returncode != 2 or f"manual-step: step {step['id']} " not in run.stderr:
                problems.append(f"placeholder {step['id']}: exit {run.returncode}, {run.stderr!r}")
    problems += run_commands(case, namespace)
    return problems


def run_commands(case, namespace):
    """Runs each command step's task callable with a stand-in `migration-studio` on the PATH that
    records its arguments and exits as told: the project folder comes from MIGRATION_STUDIO_PROJECT,
    exit 0 succeeds, exit 3 is retried (AirflowException), any other fails at once."""
    problems = []
    commands = [s for s in case["steps"] if not s["placeholder"] and not s["approval"]]
    with tempfile.TemporaryDirectory() as bin_dir:
        log = os.path.join(bin_dir, "argv")
        fake = os.path.join(bin_dir, "migration-studio")
        with open(fake, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\nexit "$FAKE_EXIT"\n')
        os.chmod(fake, 0o755)
        saved = dict(os.environ)
        os.environ.update(PATH=f"{bin_dir}:{os.environ['PATH']}", MIGRATION_STUDIO_PROJECT="/srv/project")
        try:
            for step in commands:
                want = ["/srv/project" if a is None else a
                        for a in namespace["STEP_BY_ID"][step["id"]]["argv"][1:]]
                for code, outcome in (("0", None), ("3", "retried"), ("1", "failed")):
                    os.environ["FAKE_EXIT"] = code
                    try:
                        namespace["_run"](step["id"])
                        got = None
                    except AirflowFailException:
                        got = "failed"
                    except Exception:  # AirflowException: retried
                        got = "retried"
                    with open(log, encoding="utf-8") as f:
                        argv = f.read().splitlines()
                    if got != outcome or argv != want:
                        problems.append(f"{step['id']} exiting {code}: {got}, argv {argv}")
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    failed = 0
    for case in cases:
        problems = check(case)
        failed += bool(problems)
        if problems:
            print(f"FAIL airflow {case['name']}: " + "; ".join(problems))
        else:
            print(f"ok airflow {case['name']}: {len(case['steps'])} step tasks")
    print(f"airflow: {len(cases)} exports checked, {failed} differ")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
