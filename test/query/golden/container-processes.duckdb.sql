SELECT o."project", o."machine", o."snapshot", o."container_id" AS "container_id", j1."process_id" AS "process_id", j1."ns_pid" AS "ns_pid"
FROM "container" AS o
LEFT JOIN "process" AS j1 ON j1."project" = o."project" AND j1."machine" = o."machine" AND j1."snapshot" = o."snapshot" AND j1."container_id" = o."container_id" AND j1."name" = ?
WHERE (COALESCE(o."shares_host_user", FALSE) AND EXISTS (SELECT 1 FROM "process" AS e2 WHERE e2."project" = o."project" AND e2."machine" = o."machine" AND e2."snapshot" = o."snapshot" AND e2."container_id" = o."container_id" AND e2."name" = ?))
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."container_id" ASC NULLS LAST, j1."process_id" ASC NULLS LAST, j1."ns_pid" ASC NULLS LAST
-- params: ["nc","nc"]
-- kinds: ["string","string"]
-- columns: ["project:string","machine:string","snapshot:string","container_id:string","process_id:int32","ns_pid:int32"]
