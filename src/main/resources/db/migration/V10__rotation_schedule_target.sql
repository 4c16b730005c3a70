-- Rotation targets are declared by operators (lanyard.rotation.targets), no longer named by URL in a schedule's
-- parameters (docs/rotation.md). The schedule's row records the declared target its strategy logs in to, so that an
-- operator can see which server every schedule reaches without reading parameters.
alter table rotation_schedule add column target text;

-- Strategy parameters were stored as a JSON string holding the object's text (the client encoded the text it was
-- handed as a JSON string), which SQL cannot look into. From now on they are stored as the object itself; the rows
-- already written become objects too.
update rotation_schedule set parameters = (parameters #>> '{}')::jsonb where jsonb_typeof(parameters) = 'string';
update rotation_run set parameters = (parameters #>> '{}')::jsonb where jsonb_typeof(parameters) = 'string';

-- Schedules stored before this migration that name a 'jdbc_url' keep it in their parameters and get no target: their
-- next run fails at its create step, before anything is touched, with TARGET_NOT_DECLARED until they are updated to
-- name a target. They are listed by:
--   select id, backend, path from rotation_schedule where parameters ? 'jdbc_url';
