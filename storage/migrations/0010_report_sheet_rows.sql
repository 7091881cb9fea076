-- The Visites and Suivis rows of each candidate are kept with its Candidats row: at 10,000 candidates, making their
-- 25,000 rows again at each export took a quarter of a second. Besides what the Candidats row shows, they show the
-- visit stops, and the name, commune and EPCI of the sites visited: a change to those forgets the kept rows too.

ALTER TABLE report_rows ADD COLUMN visits TEXT NOT NULL DEFAULT '';  -- the rows' cells, as xlsx (bot.spreadsheets.Drawn)
ALTER TABLE report_rows ADD COLUMN visit_widths TEXT NOT NULL DEFAULT '';
ALTER TABLE report_rows ADD COLUMN follow_ups TEXT NOT NULL DEFAULT '';
ALTER TABLE report_rows ADD COLUMN follow_up_widths TEXT NOT NULL DEFAULT '';
DELETE FROM report_rows;  -- kept without them: drawn again

CREATE TRIGGER report_visit_stops_insert AFTER INSERT ON visit_stops BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_visit_stops_update AFTER UPDATE ON visit_stops BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id, NEW.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

CREATE TRIGGER report_visit_stops_delete AFTER DELETE ON visit_stops BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (OLD.candidate_id);
    UPDATE report_changes SET n = n + 1;
END;

-- a site's name is shown in the rows of the candidates it was proposed to, its name and commune in those of the
-- candidates who visited it
DROP TRIGGER report_site_renamed;
CREATE TRIGGER report_site_changed AFTER UPDATE OF name, commune_id ON sites BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (SELECT candidate_id FROM croisement_sites WHERE site_id = NEW.id
                                                   UNION SELECT candidate_id FROM visit_stops WHERE site_id = NEW.id);
    UPDATE report_changes SET n = n + 1;
END;

-- a commune's name and EPCI are shown in the rows of the candidates who visited a site there
CREATE TRIGGER report_commune_changed AFTER UPDATE OF name, epci ON communes BEGIN
    DELETE FROM report_rows WHERE candidate_id IN (SELECT v.candidate_id FROM visit_stops v JOIN sites s
                                                   ON s.id = v.site_id WHERE s.commune_id = NEW.id);
    UPDATE report_changes SET n = n + 1;
END;
