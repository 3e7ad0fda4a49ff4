SELECT o."project", o."machine", o."snapshot", o."local_port" AS "local_port", j1."name" AS "process_object.name", element_at(j1."argv", ?) AS "process_object.argv[0]"
FROM "socket" AS o
LEFT JOIN "process" AS j1 ON j1."project" = o."project" AND j1."machine" = o."machine" AND j1."snapshot" = o."snapshot" AND j1."process_id" = o."process_id"
WHERE o."state" = ?
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."local_port" ASC NULLS LAST, j1."name" ASC NULLS LAST, element_at(j1."argv", ?) ASC NULLS LAST
-- params: [1,"LISTEN",1]
-- kinds: ["int32","string","int32"]
-- columns: ["project:string","machine:string","snapshot:string","local_port:int32","process_object.name:string","process_object.argv[0]:string"]
