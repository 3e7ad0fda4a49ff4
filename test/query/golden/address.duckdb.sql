SELECT o."project", o."machine", o."snapshot", o."name" AS "name", o."base" AS "base", o."size" AS "size", o."hidden" AS "hidden"
FROM "kernel_module" AS o
WHERE (o."base" >= ? AND NOT COALESCE(o."object_address" = ?, FALSE))
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."name" ASC NULLS LAST, o."base" ASC NULLS LAST, o."size" ASC NULLS LAST, o."hidden" ASC NULLS LAST
-- params: ["0xffffffffc0000000","0xffffffffc0360000"]
-- kinds: ["address","address"]
-- columns: ["project:string","machine:string","snapshot:string","name:string","base:address","size:int64","hidden:bool"]
