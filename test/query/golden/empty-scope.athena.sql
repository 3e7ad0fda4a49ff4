SELECT o."project", o."machine", o."snapshot", o."process_id" AS "process_id", o."parent_process_id" AS "parent_process_id", o."name" AS "name", o."command_line" AS "command_line"
FROM "process" AS o
WHERE FALSE
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."process_id" ASC NULLS LAST, o."parent_process_id" ASC NULLS LAST, o."name" ASC NULLS LAST, o."command_line" ASC NULLS LAST
-- params: []
-- kinds: []
-- columns: ["project:string","machine:string","snapshot:string","process_id:int32","parent_process_id:int32","name:string","command_line:string"]
