SELECT o."project", o."machine", o."snapshot", o."process_id" AS "process_id", o."parent_process_id" AS "parent_process_id", o."name" AS "name", o."command_line" AS "command_line"
FROM "process" AS o
WHERE (EXISTS (SELECT 1 FROM "mount" AS e1 WHERE e1."project" = o."project" AND e1."machine" = o."machine" AND e1."snapshot" = o."snapshot" AND e1."mnt_ns" = o."mnt_ns" AND (e1."fs_type" = ? AND e1."mount_point" LIKE ? ESCAPE '\')))
ORDER BY o."project" ASC NULLS LAST, o."machine" ASC NULLS LAST, o."snapshot" ASC NULLS LAST, o."process_id" ASC NULLS LAST, o."parent_process_id" ASC NULLS LAST, o."name" ASC NULLS LAST, o."command_line" ASC NULLS LAST
-- params: ["overlay","/var/lib/docker/%"]
-- kinds: ["string","string"]
-- columns: ["project:string","machine:string","snapshot:string","process_id:int32","parent_process_id:int32","name:string","command_line:string"]
