-- Why a person approved a job's cleanup (`lifecycle approve --reason`): kept with the approval
-- until the loop promotes the job, then written into that transition's reason.
ALTER TABLE lifecycle_job ADD COLUMN approval_reason TEXT;
