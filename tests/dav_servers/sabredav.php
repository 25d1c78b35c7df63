<?php
// sabre/dav 1.8's example CalDAV server (calendarserver.php), as the tests run it under
// `php -S`: the database is $SABRE_DB (sqlite). Two doors onto the same calendars:
// at / Basic logins (a users table of plain passwords: sabre/dav 1.8 ships no Basic
// backend but the abstract one), at /digest/ its standard PDO backend, Digest only.

date_default_timezone_set('UTC');

// The example turns every PHP error into an exception; PHP 8.2 deprecates much of
// this 2013 code, and deprecations are no errors.
set_error_handler(function ($errno, $errstr, $errfile, $errline) {
    if ($errno & (E_DEPRECATED | E_USER_DEPRECATED)) {
        return true;
    }
    throw new \ErrorException($errstr, 0, $errno, $errfile, $errline);
});

require_once 'Sabre/autoload.php';

class PlainBasicAuth extends \Sabre\DAV\Auth\Backend\AbstractBasic {
    private $pdo;

    public function __construct(\PDO $pdo) {
        $this->pdo = $pdo;
    }

    protected function validateUserPass($username, $password) {
        $stmt = $this->pdo->prepare('SELECT password FROM basic_users WHERE username = ?');
        $stmt->execute(array($username));
        $row = $stmt->fetch();
        return $row !== false && hash_equals($row['password'], $password);
    }
}

$pdo = new \PDO('sqlite:' . getenv('SABRE_DB'));
$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$pdo->exec('PRAGMA busy_timeout = 10000');

$digest = strpos($_SERVER['REQUEST_URI'], '/digest/') === 0;
$authBackend = $digest ? new \Sabre\DAV\Auth\Backend\PDO($pdo) : new PlainBasicAuth($pdo);
$calendarBackend = new \Sabre\CalDAV\Backend\PDO($pdo);
$principalBackend = new \Sabre\DAVACL\PrincipalBackend\PDO($pdo);

$tree = array(
    new \Sabre\CalDAV\Principal\Collection($principalBackend),
    new \Sabre\CalDAV\CalendarRootNode($principalBackend, $calendarBackend),
);
$server = new \Sabre\DAV\Server($tree);
$server->setBaseUri($digest ? '/digest/' : '/');
$server->addPlugin(new \Sabre\DAV\Auth\Plugin($authBackend, 'SabreDAV'));
$server->addPlugin(new \Sabre\DAVACL\Plugin());
$server->addPlugin(new \Sabre\CalDAV\Plugin());
$server->exec();
