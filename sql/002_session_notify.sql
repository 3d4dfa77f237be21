-- 002_session_notify.sql: change notifications for the controllers' read
-- cache of GET /sessions/{id} (docs/DESIGN.md "Read cache").
--
-- Every committed UPDATE or DELETE of a row of `sessions`, and every
-- INSERT, UPDATE or DELETE of a row of `participants`, by whatever client,
-- sends
--     NOTIFY telemed_session_changed, '<session id>'
-- (payload: the lower-case session UUID text, nothing else: no personal
-- data). Notifications are delivered only on COMMIT, in commit order, and
-- identical ones within one transaction are folded into one. TRUNCATE of
-- either table sends the payload '*' (everything changed).
--
-- INSERT into `sessions` sends nothing: a session that did not exist cannot
-- be cached (only 200 answers are), and NOTIFY serialises committing
-- transactions on a global lock, which POST /sessions must not pay.
--
-- Controllers LISTEN on their own connection (controller/
-- session_cache_listener.cpp) and drop the cached response of that session.
-- Never edit this file once applied anywhere: add sql/003_<name>.sql instead.

CREATE FUNCTION session_changed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_new uuid;
    v_old uuid;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF TG_TABLE_NAME = 'sessions' THEN v_new := NEW.id; ELSE v_new := NEW.session_id; END IF;
        PERFORM pg_notify('telemed_session_changed', v_new::text);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_TABLE_NAME = 'sessions' THEN v_old := OLD.id; ELSE v_old := OLD.session_id; END IF;
        IF v_new IS DISTINCT FROM v_old THEN
            PERFORM pg_notify('telemed_session_changed', v_old::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION session_changed_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('telemed_session_changed', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed_notify AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION session_changed_notify();
CREATE TRIGGER participants_changed_notify AFTER INSERT OR UPDATE OR DELETE ON participants
    FOR EACH ROW EXECUTE FUNCTION session_changed_notify();
CREATE TRIGGER sessions_truncated_notify AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION session_changed_notify_all();
CREATE TRIGGER participants_truncated_notify AFTER TRUNCATE ON participants
    FOR EACH STATEMENT EXECUTE FUNCTION session_changed_notify_all();
