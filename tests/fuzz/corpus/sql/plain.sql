CREATE INDEX CONCURRENTLY shop_item_name ON shop_item (name);
ALTER TABLE shop_item ADD CONSTRAINT shop_item_qty_check CHECK (qty >= 0) NOT VALID;
ALTER TABLE shop_item VALIDATE CONSTRAINT shop_item_qty_check;
UPDATE shop_item SET name = 'it''s' WHERE id < 1000;
