SELECT o."project", o."machine", o."snapshot", o."process_id" AS "process_id", o."parent_process_id" AS "parent_process_id", o."name" AS "name", o."command_line" AS "command_line"
FROM "process" AS o
WHERE (EXISTS (SELECT 1 FROM "container" AS e1 WHERE e1."project" = o."project" AND e1."machine" = o."machine" AND e1."snapshot" = o."snapshot" AND e1."container_id" = o."container_id" AND e1."runtime" = ?) AND EXISTS (SELECT 1 FROM "socket" AS e2 WHERE e2."project" = o."project" AND e2."machine" = o."machine" AND e2."snapshot" = o."snapshot" AND e2."process_id" = o."process_id" AND e2."state" = ?))
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."process_id" ASC NULLS LAST, o."parent_process_id" ASC NULLS LAST, o."name" ASC NULLS LAST, o."command_line" ASC NULLS LAST
-- params: ["containerd","LISTEN"]
-- kinds: ["string","string"]
-- columns: ["project:string","machine:string","snapshot:string","process_id:int32","parent_process_id:int32","name:string","command_line:string"]
