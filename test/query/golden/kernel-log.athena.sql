SELECT o."project", o."machine", o."snapshot", o."sequence" AS "sequence", o."timestamp_ns" AS "timestamp_ns", o."level" AS "level", o."message" AS "message"
FROM "kernel_log" AS o
WHERE (lower(o."message") LIKE lower(?) ESCAPE '\' AND o."level" <= ?)
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."sequence" ASC NULLS LAST, o."timestamp_ns" ASC NULLS LAST, o."level" ASC NULLS LAST, o."message" ASC NULLS LAST
-- params: ["%segfault%",3]
-- kinds: ["string","int32"]
-- columns: ["project:string","machine:string","snapshot:string","sequence:int64","timestamp_ns:int64","level:int32","message:string"]
