SELECT o."project", o."machine", o."snapshot", j1."process_id" AS "process_id", j1."name" AS "name", j1."value" AS "value"
FROM "process" AS o
LEFT JOIN "env_var" AS j1 ON j1."project" = o."project" AND j1."machine" = o."machine" AND j1."snapshot" = o."snapshot" AND j1."process_id" = o."process_id" AND j1."name" = ?
WHERE EXISTS (SELECT 1 FROM "env_var" AS e2 WHERE e2."project" = o."project" AND e2."machine" = o."machine" AND e2."snapshot" = o."snapshot" AND e2."process_id" = o."process_id" AND e2."name" = ?)
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, j1."process_id" ASC NULLS LAST, j1."name" ASC NULLS LAST, j1."value" ASC NULLS LAST
-- params: ["LD_PRELOAD","LD_PRELOAD"]
-- kinds: ["string","string"]
-- columns: ["project:string","machine:string","snapshot:string","process_id:int32","name:string","value:string"]
