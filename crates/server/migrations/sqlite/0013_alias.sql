-- What visitors see of an operator (issue 15): a display name of their own. The real name
-- stays in the console and the audit log; messages, the operator shown in the widget and
-- exports to visitors carry the alias. Existing operators start with their name's first word.
ALTER TABLE operators ADD COLUMN alias TEXT NOT NULL DEFAULT '';
UPDATE operators SET alias = CASE
    WHEN instr(trim(name), ' ') > 0 THEN substr(trim(name), 1, instr(trim(name), ' ') - 1)
    ELSE trim(name)
END;
