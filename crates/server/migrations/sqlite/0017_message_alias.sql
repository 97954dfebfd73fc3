-- An operator's message keeps the alias it was written under (issue 15): after the operator
-- is removed (or their alias changes) the transcript still says who answered, as visitors saw
-- it then. Messages stored before this take their operator's current alias.
ALTER TABLE messages ADD COLUMN author_alias TEXT;
UPDATE messages SET author_alias = (SELECT o.alias FROM operators o WHERE o.id = messages.operator_id)
    WHERE operator_id IS NOT NULL;
