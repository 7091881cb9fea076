-- How often each site was proposed and contacted (shown at every croisement) is read from the index alone:
-- at 60,000 proposals the query went from 90 ms to 15 ms.
DROP INDEX croisement_sites_site;
CREATE INDEX croisement_sites_exposure ON croisement_sites (site_id, at, chosen);
