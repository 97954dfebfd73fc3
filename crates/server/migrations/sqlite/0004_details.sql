-- What operators see about a conversation besides its messages: the pre-chat fields the
-- visitor typed and, for standard-mode widgets only, the page, its referrer and the browser
-- and OS family. One VisitorDetails JSON document, NULL when there is nothing; it is deleted
-- with the conversation. Never an IP address or a full user agent.
ALTER TABLE conversations ADD COLUMN details TEXT;
