SELECT E'\'' ; DROP TABLE shop_item;
SELECT 'a\'; SELECT "quoted ""name""" FROM t; -- don't
/* a /* nested */ comment; */ SELECT U&'d\0061t\+000061';
