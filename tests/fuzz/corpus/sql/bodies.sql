CREATE OR REPLACE FUNCTION shop_touch() RETURNS trigger AS $body$
BEGIN
  NEW.updated = now(); -- a ; in a comment
  RETURN NEW;
END
$body$ LANGUAGE plpgsql;
DO $$ BEGIN EXECUTE 'TRUNCATE ' || quote_ident('log'); END $$;
CREATE TRIGGER shop_touch BEFORE UPDATE ON shop_item FOR EACH ROW EXECUTE FUNCTION shop_touch();
SELECT $1, a$b$c FROM t;
