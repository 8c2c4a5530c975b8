
# --- What follows is the same in every export: it builds the two DAGs from the data above. ---

import datetime
import os
import subprocess

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG
try:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
except ImportError:  # Airflow before the task SDK held them
    from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException

# The worker's environment names the project folder; the database URLs are in the variables
# PLAN["url_variables"], which the deployment fills from its secrets backend.
PROJECT_VARIABLE = "MIGRATION_STUDIO_PROJECT"
START = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
STEP_BY_ID = {step["id"]: step for step in STEPS}


def _argv(step_id, argv):
    """The step's command, with None replaced by the project folder."""
    project = os.environ.get(PROJECT_VARIABLE, "")
    if None in argv and not project:
        raise AirflowFailException(
            f"step {step_id}: set {PROJECT_VARIABLE} on the worker to the project folder"
        )
    return [project if arg is None else arg for arg in argv]


def _run(step_id):
    """Runs the step's command; retries only exit code PLAN["retry_exit"] (unavailable)."""
    argv = _argv(step_id, STEP_BY_ID[step_id]["argv"])
    code = subprocess.run(argv, check=False).returncode
    if code == PLAN["retry_exit"]:
        raise AirflowException(f"step {step_id}: exit code {code} (unavailable), retried")
    if code != 0:
        raise AirflowFailException(f"step {step_id}: exit code {code}")


def _doc(facts):
    """The facts of a step or undo as Markdown for the task's details."""
    return "\n".join(f"- **{key}**: {value}" for key, value in facts.items() if value is not None)


class _Approval(ApprovalOperator):
    """A person approves once the step is done; a rejection fails the task."""

    # Titles are text, never Jinja templates.
    template_fields = ()

    def __init__(self, **kwargs):
        super().__init__(fail_on_reject=True, **kwargs)


class _Undo(_Approval):
    """A person undoes a step that completed in the failed cutover run, then approves."""

    def __init__(self, *, undoes, **kwargs):
        super().__init__(**kwargs)
        self.undoes = undoes

    def _succeeded(self, context, run_id, task_id):
        count = context["ti"].get_ti_count(
            dag_id=PLAN["dag_id"], task_ids=[task_id], run_ids=[run_id], states=["success"]
        )
        return count > 0

    def execute(self, context):
        run_id = (context["dag_run"].conf or {}).get("cutover_run_id")
        if not run_id:
            raise AirflowFailException(
                f"trigger {PLAN['rollback_dag_id']} with the conf {{\"cutover_run_id\": <run id of {PLAN['dag_id']}>}}"
            )
        ponr = PLAN["point_of_no_return"]
        if ponr and self._succeeded(context, run_id, ponr):
            raise AirflowSkipException(f"the point of no return {ponr} was crossed in {run_id}")
        if not self._succeeded(context, run_id, self.undoes):
            raise AirflowSkipException(f"step {self.undoes} did not complete in {run_id}")
        return super().execute(context)


with DAG(
    dag_id=PLAN["dag_id"],
    description=PLAN["description"],
    doc_md=PLAN["doc"],
    schedule=None,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["migration-studio", "cutover"],
) as cutover:
    tasks = {}
    for step in STEPS:
        common = {
            "task_id": step["id"],
            "owner": step["facts"]["owner"],
            "retries": step["retries"],
            "doc_md": _doc(step["facts"]),
        }
        if step["argv"] is None:
            tasks[step["id"]] = _Approval(
                subject=f"{step['id']}: {step['facts']['title']}",
                body=_doc(step["facts"]),
                **common,
            )
        else:
            tasks[step["id"]] = PythonOperator(
                python_callable=_run,
                op_args=[step["id"]],
                execution_timeout=datetime.timedelta(seconds=step["timeout_seconds"]),
                retry_delay=datetime.timedelta(minutes=1),
                **common,
            )
    for step in STEPS:
        for upstream in step["depends_on"]:
            tasks[upstream] >> tasks[step["id"]]
    if UNDOS:
        # Not a runbook step: starts the rollback DAG when a step before the point of no return
        # fails, or the point of no return itself is rejected (a rejected approval fails).
        trigger = TriggerDagRunOperator(
            task_id="rollback_on_failure",
            trigger_dag_id=PLAN["rollback_dag_id"],
            trigger_rule="one_failed",
            conf={"cutover_run_id": "{{ run_id }}"},
            owner=PLAN["owner"],
        )
        for step in STEPS:
            if step["before_ponr"] or step["point_of_no_return"]:
                tasks[step["id"]] >> trigger

if UNDOS:
    with DAG(
        dag_id=PLAN["rollback_dag_id"],
        description=f"Rollback of {PLAN['project']} before the point of no return",
        doc_md=PLAN["doc"],
        schedule=None,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["migration-studio", "rollback"],
    ) as rollback:
        undos = {}
        for undo in UNDOS:
            undos[undo["step"]] = _Undo(
                task_id=f"undo_{undo['step']}",
                undoes=undo["step"],
                subject=f"Undo {undo['step']}: {undo['action']}",
                body=_doc({"undoes": undo["step"], "action": undo["action"], "minutes": undo["minutes"]}),
                owner=STEP_BY_ID[undo["step"]]["facts"]["owner"],
                # Runs when the undos before it were done or skipped.
                trigger_rule="none_failed",
            )
        for undo in UNDOS:
            for first in undo["after"]:
                undos[first] >> undos[undo["step"]]
