-- 016: a user is bound to GitHub by account id only. GitHub logins are
-- renamed and handed to other accounts, so a sign-in never adopts a user
-- by login: an account no user is bound to gets a new user, and an admin
-- binds an existing one with `ttctl user link` (tools/ttctl_user.c).
-- github_login becomes display information, refreshed at each sign-in.
--
-- Memberships remember where they came from: via_github (the user's
-- sign-in lists it, or the user installed the App), via_admin (`ttctl
-- installation add-member`). A row has at least one; a sign-in changes
-- only via_github. Readers that ask "is U a member of I" (lib/session.c,
-- lib/trust.c, lib/websession.c) see one row per (installation, user) as
-- before.

-- Logins are no longer unique among users bound to GitHub (a renamed
-- account keeps its old login until it signs in again). Among users not
-- bound yet, the login is the name an admin gave with `ttctl user create
-- --github-login L`, which finds that same user again.
ALTER TABLE users DROP CONSTRAINT users_github_login_key;
CREATE UNIQUE INDEX users_unbound_login ON users (github_login)
    WHERE github_id IS NULL;

-- A row inserted without naming its source is an admin's.
ALTER TABLE installation_members
    ADD COLUMN via_github boolean NOT NULL DEFAULT false,
    ADD COLUMN via_admin boolean NOT NULL DEFAULT true;
-- Until now a GitHub sign-in replaced all of a user's memberships, so
-- those of users that signed in with GitHub came from GitHub (or would
-- have been replaced at their next sign-in); the others were added by an
-- admin (or by a webhook matching the login) and stay.
UPDATE installation_members m SET via_github = true, via_admin = false
    FROM users u WHERE u.id = m.user_id AND u.github_id IS NOT NULL;
ALTER TABLE installation_members ADD CONSTRAINT installation_members_source
    CHECK (via_github OR via_admin);

-- The user bound to a GitHub account, or a new one bound to it; the
-- login is only shown.
CREATE OR REPLACE FUNCTION tt_web_github_user(gid bigint, glogin text)
RETURNS uuid
LANGUAGE sql AS $$
	INSERT INTO users (github_id, github_login) VALUES (gid, glogin)
	    ON CONFLICT (github_id) DO UPDATE SET github_login = EXCLUDED.github_login
	    RETURNING id
$$;

-- A user's GitHub memberships become exactly the installations GitHub
-- listed for them (ids[i] with account login logins[i]); installations
-- not known yet are added. Memberships an admin added stay.
CREATE OR REPLACE FUNCTION tt_web_set_installations(uid uuid, ids bigint[],
    logins text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO installations (id, login)
	    SELECT i, l FROM unnest(ids, logins) AS t(i, l)
	    ON CONFLICT (id) DO NOTHING;
	DELETE FROM installation_members
	    WHERE user_id = uid AND NOT via_admin
	    AND installation_id <> ALL (ids);
	UPDATE installation_members SET via_github = false
	    WHERE user_id = uid AND via_github
	    AND installation_id <> ALL (ids);
	INSERT INTO installation_members (installation_id, user_id,
	    via_github, via_admin)
	    SELECT i, uid, true, false FROM unnest(ids) AS t(i)
	    ON CONFLICT (installation_id, user_id) DO UPDATE
	    SET via_github = true WHERE NOT installation_members.via_github;
END $$;
