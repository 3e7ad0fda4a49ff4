SELECT o."project", o."machine", o."snapshot", o."process_id" AS "process_id", j1."start" AS "start", j1."file_name" AS "file_name"
FROM "process" AS o
LEFT JOIN "vma" AS j1 ON j1."project" = o."project" AND j1."machine" = o."machine" AND j1."snapshot" = o."snapshot" AND j1."process_id" = o."process_id" AND j1."is_executable" AND COALESCE(j1."file_name" LIKE ? ESCAPE '\', FALSE)
WHERE (EXISTS (SELECT 1 FROM "vma" AS e2 WHERE e2."project" = o."project" AND e2."machine" = o."machine" AND e2."snapshot" = o."snapshot" AND e2."process_id" = o."process_id" AND (e2."is_executable" AND COALESCE(e2."file_name" LIKE ? ESCAPE '\', FALSE))))
ORDER BY j1."start" DESC NULLS LAST, o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."process_id" ASC NULLS LAST, j1."start" ASC NULLS LAST, j1."file_name" ASC NULLS LAST
LIMIT 50
-- params: ["%.so","%.so"]
-- kinds: ["string","string"]
-- columns: ["project:string","machine:string","snapshot:string","process_id:int32","start:address","file_name:string"]
