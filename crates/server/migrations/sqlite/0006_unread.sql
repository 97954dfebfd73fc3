-- The number of visitor messages after read_seq, kept with the conversation so a summary is
-- read with the row (the one writer bumps it with each visitor message; marking read
-- recounts it) instead of counted for every message.
ALTER TABLE conversations ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET unread = (
    SELECT COUNT(*) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.author = 'visitor'
      AND m.seq > conversations.read_seq
);
