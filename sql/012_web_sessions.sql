-- 012: people sign in to the API Access page (issue 9). A browser session
-- is a random 32-byte id in a cookie; only its SHA-256 is stored. Users
-- gain their GitHub account id (logins can be renamed) and, for hosts that
-- authenticate in the web server (REMOTE_USER), that name.
ALTER TABLE users ADD COLUMN github_id bigint UNIQUE;
ALTER TABLE users ADD COLUMN remote_user text UNIQUE;

CREATE TABLE web_sessions (
	id_sha256	bytea PRIMARY KEY CHECK (length(id_sha256) = 32),
	user_id		uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	via		text NOT NULL CHECK (via IN ('github', 'remote_user')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- The user behind a GitHub account: by account id; else the user named
-- by its login that no account has claimed yet (made by ttctl or a
-- webhook); else a new one. A login another account held before is
-- released (GitHub logins can be renamed and reused).
CREATE FUNCTION tt_web_github_user(gid bigint, glogin text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
	uid uuid;
BEGIN
	UPDATE users SET github_login = NULL
	    WHERE github_login = glogin AND github_id IS NOT NULL
	    AND github_id <> gid;
	SELECT id INTO uid FROM users WHERE github_id = gid FOR UPDATE;
	IF uid IS NULL THEN
		UPDATE users SET github_id = gid
		    WHERE github_login = glogin AND github_id IS NULL
		    RETURNING id INTO uid;
	END IF;
	IF uid IS NULL THEN
		INSERT INTO users (github_id, github_login) VALUES (gid, glogin)
		    RETURNING id INTO uid;
	ELSE
		UPDATE users SET github_login = glogin
		    WHERE id = uid AND github_login IS DISTINCT FROM glogin;
	END IF;
	RETURN uid;
END $$;

-- A user's installation memberships become exactly the installations
-- GitHub listed for them (ids[i] with account login logins[i]);
-- installations not known yet are added.
CREATE FUNCTION tt_web_set_installations(uid uuid, ids bigint[],
    logins text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO installations (id, login)
	    SELECT i, l FROM unnest(ids, logins) AS t(i, l)
	    ON CONFLICT (id) DO NOTHING;
	DELETE FROM installation_members
	    WHERE user_id = uid AND installation_id <> ALL (ids);
	INSERT INTO installation_members (installation_id, user_id)
	    SELECT i, uid FROM unnest(ids) AS t(i)
	    ON CONFLICT DO NOTHING;
END $$;
