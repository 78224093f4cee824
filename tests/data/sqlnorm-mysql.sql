SELECT intcol1,charcol1 FROM t1 WHERE id =  '3'
INSERT INTO t1 VALUES (1804289383,'mxvtvmC9127qJNm06sGB8R92q2j7vTiiITRDGXM9ZLzkdekbWtmXKwZ2qG1llkRw5m9DHOFilEREk3q7oce8O3BEJC0woJsm6uzFAEynLH2xCsw1KQ1lT4zg9rdxBL')
UPDATE t1 SET intcol1 = 1804289383,charcol1 = 'mxvtvmC9127qJNm06sGB8R92q2j7vTii' WHERE id =  '45'
SELECT name, phone FROM `crm`.`customers` WHERE id = ? # app
SELECT /*!40001 SQL_NO_CACHE */ * FROM `orders`
INSERT INTO t (a, b) VALUES (1, 'it\'s'), (2, "x"), (3, 'y') ON DUPLICATE KEY UPDATE b = VALUES(b)
SET NAMES utf8mb4
SELECT * FROM customers WHERE email LIKE '%@example.com' LIMIT 10, 20
LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE crm.t FIELDS TERMINATED BY ','
SELECT * FROM customers INTO OUTFILE '/tmp/c.txt'
