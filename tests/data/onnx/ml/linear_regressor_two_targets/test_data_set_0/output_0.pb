
Boutput_0JPKA”R[@‹‹+A#ü‹@D€A'†F@ÊAÈ;C@0©AÕ›<@=c.A–‡@„Ñ,AÞo@2¥HAj#¡@K 1A_Ð¦@§‰6A'£@