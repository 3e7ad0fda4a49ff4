SELECT t."parent_object.name", t."argv[0]", CAST(count(*) AS INTEGER) AS "count"
FROM (
SELECT o."project", o."machine", o."snapshot", j1."name" AS "parent_object.name", list_extract(o."argv", ?) AS "argv[0]"
FROM "process" AS o
LEFT JOIN "process" AS j1 ON j1."project" = o."project" AND j1."machine" = o."machine" AND j1."snapshot" = o."snapshot" AND j1."process_id" = o."parent_process_id" AND j1."project" IN (?)
WHERE o."project" IN (?)
  AND (EXISTS (SELECT 1 FROM "vma" AS e2 WHERE e2."project" = o."project" AND e2."machine" = o."machine" AND e2."snapshot" = o."snapshot" AND e2."process_id" = o."process_id" AND e2."project" IN (?) AND (e2."is_executable" AND COALESCE(e2."file_name" LIKE ? ESCAPE '\', FALSE))))
) AS t
GROUP BY t."parent_object.name", t."argv[0]"
ORDER BY count(*) ASC, t."parent_object.name" ASC NULLS LAST, t."argv[0]" ASC NULLS LAST
LIMIT 10
-- params: [1,"acme","acme","acme","/tmp/%"]
-- kinds: ["int32","string","string","string","string"]
-- columns: ["parent_object.name:string","argv[0]:string","count:int32"]
