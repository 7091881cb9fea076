-- The reporting table's row of each candidate, kept once drawn: at 10,000 candidates drawing every row again took
-- most of an export's seconds. Triggers forget a row as soon as anything it shows changes, whichever code wrote, and
-- count the changes: a row drawn from data read before a change is not kept (see storage/reporting.keep_rows).

CREATE TABLE report_rows (
    candidate_id    INTEGER PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
    format          TEXT NOT NULL,      -- the layout it was drawn with: another layout draws it again
    xlsx            TEXT NOT NULL,      -- the row's cells in SpreadsheetML, its number left blank
    csv             TEXT NOT NULL,      -- the row as a CSV line
    widths          TEXT NOT NULL       -- JSON: how many characters each cell shows
);

CREATE TABLE report_changes (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    n               INTEGER NOT NULL
);
INSERT INTO report_changes (id, n) VALUES (1, 0);

CREATE TRIGGER report_candidate_updated AFTER UPDATE ON candidates BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.id, NEW.id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_interview_answers_insert AFTER INSERT ON interview_answers BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_interview_answers_update AFTER UPDATE ON interview_answers BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id, NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_interview_answers_delete AFTER DELETE ON interview_answers BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_croisements_insert AFTER INSERT ON croisements BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_croisements_update AFTER UPDATE ON croisements BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id, NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_croisements_delete AFTER DELETE ON croisements BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_croisement_sites_insert AFTER INSERT ON croisement_sites BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_croisement_sites_update AFTER UPDATE ON croisement_sites BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id, NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_croisement_sites_delete AFTER DELETE ON croisement_sites BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_visits_insert AFTER INSERT ON visits BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_visits_update AFTER UPDATE ON visits BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id, NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_visits_delete AFTER DELETE ON visits BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_debriefs_insert AFTER INSERT ON debriefs BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_debriefs_update AFTER UPDATE ON debriefs BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id, NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_debriefs_delete AFTER DELETE ON debriefs BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_follow_ups_insert AFTER INSERT ON follow_ups BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_follow_ups_update AFTER UPDATE ON follow_ups BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id, NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_follow_ups_delete AFTER DELETE ON follow_ups BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

-- a site's name is shown in the rows of the candidates it was proposed to
CREATE TRIGGER report_site_renamed AFTER UPDATE OF name ON sites BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (SELECT candidate_id FROM croisement_sites WHERE site_id = NEW.id);
    UPDATE report_changes SET n = n + 1;
END;
