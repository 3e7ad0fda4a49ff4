SELECT t."name", t."kind"
FROM (
SELECT o."project", o."machine", o."snapshot", o."name" AS "name", j1."kind" AS "kind"
FROM "process" AS o
LEFT JOIN "vma" AS j1 ON j1."project" = o."project" AND j1."machine" = o."machine" AND j1."snapshot" = o."snapshot" AND j1."process_id" = o."process_id" AND j1."is_executable"
WHERE EXISTS (SELECT 1 FROM "vma" AS e2 WHERE e2."project" = o."project" AND e2."machine" = o."machine" AND e2."snapshot" = o."snapshot" AND e2."process_id" = o."process_id" AND e2."is_executable")
) AS t
GROUP BY t."name", t."kind"
ORDER BY t."name" ASC NULLS LAST, t."kind" ASC NULLS LAST
-- params: []
-- kinds: []
-- columns: ["name:string","kind:string"]
